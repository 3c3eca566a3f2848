"""Defects: reporting, the lifecycle and its state table, deadlines, the worklist, proposals."""
