"""Faithful local stand-ins for the services OrderDeck talks to, each a real HTTP server on loopback.

Tests and `flask --app backend demo` reach them through the same client code that production uses,
pointed here by configuration (TIKTOK_API_BASE, SHEETS_API_ENDPOINT, GOOGLE_CERTS_URL, ...).
"""
