
*	€x€ðÿ÷Btyped_float16