/* The CLIP BPE merges file (MIT, OpenAI), embedded so the tokenizer needs no data file. */
    .section .rodata
    .global lincir_detail_bpe_vocab_gz
    .hidden lincir_detail_bpe_vocab_gz
    .balign 16
lincir_detail_bpe_vocab_gz:
    .incbin LINCIR_BPE_VOCAB_PATH
    .global lincir_detail_bpe_vocab_gz_end
    .hidden lincir_detail_bpe_vocab_gz_end
lincir_detail_bpe_vocab_gz_end:
    .section .note.GNU-stack,"",@progbits
