B
double_rawJÖ©º=àeÙ¿u@¥‡mŞ¿ÛU¬›¬dò?