VERSION = 16
TITLE = "placeholder (not committed)"


def apply(database):
    pass
