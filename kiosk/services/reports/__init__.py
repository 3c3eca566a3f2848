"""Reports and exports: boards, key figures, CSV/XLSX exports, the handbook, labels, fonts."""
