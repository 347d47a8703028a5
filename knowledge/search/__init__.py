"""Search: the lexical index, the optional dense leg, the retriever and its evaluation."""
