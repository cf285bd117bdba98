"""查阅/复制: party requests to view or copy records (model, queries, requests, the
``access_request`` approval kind), watermarked copies, expiring share links, downloads, and
the view log and 调阅记录 every read leaves on the ledger.
"""
