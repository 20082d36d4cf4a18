"""reportlab sheets: plain data in, PDF out (reports.md). Filled by the printed-sheets issue."""
