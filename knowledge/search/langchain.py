"""LangChain adapter: the retriever as a ``BaseRetriever`` returning ``Document``s with the
citation metadata (source, document title, section path, province, passage id, score)."""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from knowledge.search.retriever import Filters, Retriever, question_filters

logger = logging.getLogger(__name__)


class CchcRetriever(BaseRetriever):
    """``CchcRetriever(retriever=knowledge.search.retriever, k=5)``; composes with LangChain chains.

    The province and year a question names are applied as filters, as in the bot's answers.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # knowledge.search.retriever.Retriever (Any: pydantic cannot validate the dataclass)
    k: int = 5
    use_question_filters: bool = True

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        r: Retriever = self.retriever
        filters = question_filters(query)[0] if self.use_question_filters else Filters()
        hits = r.search(query, self.k, filters)
        return [
            Document(
                page_content=h.passage.text,
                metadata={
                    "source": h.passage.source,
                    "document": h.passage.document,
                    "section": h.passage.section,
                    "province": h.passage.province,
                    "passage_id": h.passage.id,
                    "score": h.score,
                    "rank": h.rank,
                },
            )
            for h in hits
        ]
