"""Index results: refresh from documents, table imports, queries, leaders' summaries, charts, answers."""
