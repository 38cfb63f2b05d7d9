"""``qa eval``, one job per module: ``schema`` (the JSONL eval set and its errors), ``metrics`` (scoring an item,
adding the scores up), ``runner`` (answering the items with the engine, the command), ``report`` (table,
Markdown, chart) and ``compare`` (two reports item by item)."""
