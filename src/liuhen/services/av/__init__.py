"""音像记录: ingest from docking stations and uploads (resumable, staged), recordings and
their versions, clips, the timeline, devices and their checks, upload deadlines, footage no
case holds yet.
"""
