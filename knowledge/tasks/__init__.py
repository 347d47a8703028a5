"""Tasks: views, refresh from documents, schedule imports, queries, actions, responsibility answers."""
