// Every word of every indexed name (the vocabulary search widens misspelt words into).
MATCH (rec:Record)
UNWIND rec.terms AS term
RETURN DISTINCT term
