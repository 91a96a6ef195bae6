"""Consultations: a document in sections, questions, a schedule that opens and closes on its own,
answers and section comments with chosen attribution, live Q&A sessions, exports and a report."""
