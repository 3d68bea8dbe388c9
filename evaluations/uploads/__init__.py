"""Reading and checking outcome-data files: ``reader`` turns CSV, XLSX or JSON rows into
chunks of text cells with spreadsheet row numbers, ``validation`` checks them all in one pass
with pandas, and ``report`` shapes the result for people and for the API."""
