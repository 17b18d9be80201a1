/* The keyword extractor's lexicon (derived from WordNet 3.0, see assets/README.md), embedded so
   that the library needs no data file. */
    .section .rodata
    .global lincir_detail_keywords_lexicon_gz
    .hidden lincir_detail_keywords_lexicon_gz
    .balign 16
lincir_detail_keywords_lexicon_gz:
    .incbin LINCIR_KEYWORDS_LEXICON_PATH
    .global lincir_detail_keywords_lexicon_gz_end
    .hidden lincir_detail_keywords_lexicon_gz_end
lincir_detail_keywords_lexicon_gz_end:
    .section .note.GNU-stack,"",@progbits
