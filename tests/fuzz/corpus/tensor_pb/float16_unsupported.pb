
*€xBfloat16_unsupported