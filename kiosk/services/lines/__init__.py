"""Lines and suppliers: line evaluation, weekly inspections, supplier ranking, anomalies."""
