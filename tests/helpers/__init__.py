"""What several test modules share (no test module imports another).

app: building a KioskApp and driving it with the Pilot; pg: a throwaway PostgreSQL cluster;
cdp: a headless Chromium; offline: a database server that is away; qr: reading QR codes
back; incoming: incoming-material defects; i18n_scan: the English templates in the code.
Fixtures stay in tests/conftest.py.
"""
