Buint64_data_uint64Z
ÿÿÿÿÿÿÿÿÿ