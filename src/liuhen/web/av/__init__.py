"""AV pages and the docking-station API: upload, recording, player, notes, devices, footage
no case holds (``services/av``).
"""
