"""Text kernels over Arrow string arrays, shared by the operators: character classes and
lengths (kernels), words and n-grams (words, segmenters), shingles and hashes (shingles),
MinHash signatures and LSH bands (minhash), lines and paragraphs (segments), sentences,
repeated substrings (substrings), C4's line rules (c4), NeMo Curator's pieces (heuristics),
word lists, and RE2 regular expressions (regex). Nothing here knows about operators or runs:
these modules import only juicer.errors, Arrow and numpy."""
