"""Unstructured sources: documents (text, Markdown, e-mail, PDF, images) read into text, the
selectors, names and dates they mention found with exact character spans, and what they say
turned into Document entities, mentions and co-mention links."""
