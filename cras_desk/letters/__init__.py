"""Patient and GP letters: wording from resources/letters, laid out and drawn with reportlab.

compose.py turns a letter's recorded inputs into content (no reportlab); render.py draws that
content onto A4 pages, one letter per file or many into one combined print file.
"""
