"""Training: quiz items, assessments, the question-bank import, knowledge contests, skills."""
