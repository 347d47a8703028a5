"""Knowledge: storage, retrieval, answers, score summaries, responsibilities."""
