"""Plant and campaigns: settings, structure and people by hand or file, stations, demo data."""
