"""Quality Kiosk: the application and its rules."""

__version__ = "0.1.0"
