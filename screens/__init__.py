"""Textual screens: what a person sees. They call kiosk services and only render."""
