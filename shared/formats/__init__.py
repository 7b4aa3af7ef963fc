"""What data must look like where it crosses jemput's edges, whatever the door (HTTP, a
Kafka topic, a file) and without a web framework: the one reading of a JSON body
(`json_body.py`), a moment as ISO 8601 text with a zone (`instant.py`), and CSV cells a
spreadsheet would run made inert and given back exactly (`csv_cells.py`).

Importing the package imports nothing: take the module you need."""
