"""Trained models, loaded offline and cached per process: fastText quality classifiers
(classifier), n-gram language models (lm), sentence embeddings (embeddings) and spherical
k-means (kmeans), token counters for language-model tokenizers (token_counters), spaCy
pipelines (spacy_pipelines), and where array arithmetic runs, CPU or GPU (devices)."""
