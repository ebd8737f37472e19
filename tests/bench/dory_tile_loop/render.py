# Renders DORY 6d01e9c's layer template for one MobileNetV1-128 layer at 38,000 B as
# dory_examples ran it (GAP8v3, dma_parallelization '8-cores', 8-bit, BN folded with 32-bit
# k/lambda, ReLU): `pointwise` is features.4 (64->128 at 32x32, tile 16x2x128, 32 tiles),
# `depthwise` features.5 (3x3 stride 1, 128 channels at 32x32, tile 32x32x8, 16 tiles).
import sys
from mako.template import Template
kind, template, out = sys.argv[1:4]
common = dict(func_name="layer_" + kind, ULTRA_VERBOSE=False, TEST=False, chip="GAP8v3", sdk="pulp_sdk",
              dma_parallelization="8-cores", optional_type="8bit", type="uint8_t", FLAG_BATCHNORM=1,
              FLAG_RELU=1, act_dim_bit=32, has_bias=0, x_data_size_byte=8, y_data_size_byte=8,
              W_data_size_byte=8, g=1, factor=1, b_size_byte=0, bias_tile_size_byte=0, l2_off_bias=0,
              l1_b_offset=0)
if kind == "pointwise":
    h, w, cin, cout, th, tw = 32, 32, 64, 128, 16, 2
    v = dict(flag_DW=0, tile_dim_nof=1, tile_dim_nif=1, tile_dim_h=h // th, tile_dim_w=w // tw,
             x_tile_size_nif=cin, x_tile_size_h=th, x_tile_size_w=tw, x_tile_size_nif_last=cin,
             x_tile_size_h_last=th, x_tile_size_w_last=tw, x_tile_size_byte=th * tw * cin,
             x_tile_size_nif_byte=cin, x_tile_size_nif_byte_last=cin, x_stride_w_byte=w * cin,
             x_stride_c_byte=cin, x_w=w, nif=cin, conv_overlap1=0, conv_overlap2=0,
             y_tile_size_nof=cout, y_tile_size_h=th, y_tile_size_w=tw, y_tile_size_nof_last=cout,
             y_tile_size_h_last=th, y_tile_size_w_last=tw, y_tile_size_byte=th * tw * cout,
             y_tile_size_nof_byte=cout, y_length_nof_byte_last=cout, y_stride_w_byte=w * cout,
             y_stride_c_byte=cout, y_w=w, nof=cout, W_tile_size_nof=cout, W_tile_size_nif=cin,
             W_tile_size_nof_last=cout, W_tile_size_nif_last=cin, W_tile_size_byte=cout * cin,
             W_tile_nif_byte=cin, W_tile_size_nif_byte_last=cin, W_stride_nof_byte=cin, W_stride_hw_byte=cin,
             fs1=1, fs2=1, stride=1, padding_top=0, padding_bottom=0, padding_left=0, padding_right=0,
             l1_x_offset=0, l1_y_offset=2 * th * tw * cin, l1_W_offset=2 * th * tw * (cin + cout),
             l1_k_offset=30000, l1_lambda_offset=31024, buffer_l1_all=32808, im2col_dim=0,
             l2_off_k=cout * cin, l2_off_lambda=cout * cin + 4 * cout, k_tile_size_byte_transfer=4 * cout,
             lambda_tile_size_byte_transfer=4 * cout)
else:
    h, w, c, tc = 32, 32, 128, 8
    v = dict(flag_DW=1, tile_dim_nof=c // tc, tile_dim_nif=1, tile_dim_h=1, tile_dim_w=1,
             x_tile_size_nif=tc, x_tile_size_h=h + 2, x_tile_size_w=w + 2, x_tile_size_nif_last=tc,
             x_tile_size_h_last=h + 2, x_tile_size_w_last=w + 2, x_tile_size_byte=(h + 2) * (w + 2) * tc,
             x_tile_size_nif_byte=tc, x_tile_size_nif_byte_last=tc, x_stride_w_byte=w * c, x_stride_c_byte=c,
             x_w=w, nif=c, conv_overlap1=2, conv_overlap2=2, y_tile_size_nof=tc, y_tile_size_h=h,
             y_tile_size_w=w, y_tile_size_nof_last=tc, y_tile_size_h_last=h, y_tile_size_w_last=w,
             y_tile_size_byte=h * w * tc, y_tile_size_nof_byte=tc, y_length_nof_byte_last=tc,
             y_stride_w_byte=w * c, y_stride_c_byte=c, y_w=w, nof=c, W_tile_size_nof=tc, W_tile_size_nif=1,
             W_tile_size_nof_last=tc, W_tile_size_nif_last=1, W_tile_size_byte=tc * 9, W_tile_nif_byte=1,
             W_tile_size_nif_byte_last=1, W_stride_nof_byte=9, W_stride_hw_byte=1, fs1=3, fs2=3, stride=1,
             padding_top=1, padding_bottom=1, padding_left=1, padding_right=1, l1_x_offset=0,
             l1_y_offset=2 * (h + 2) * (w + 2) * tc, l1_W_offset=2 * (h + 2) * (w + 2) * tc + 2 * h * w * tc,
             l1_k_offset=34000, l1_lambda_offset=34100, buffer_l1_all=34200, im2col_dim=9 * (h + 2) * 8,
             l2_off_k=c * 9, l2_off_lambda=c * 9 + 4 * c, k_tile_size_byte_transfer=4 * tc,
             lambda_tile_size_byte_transfer=4 * tc)
open(out, "w").write(Template(filename=template).render(**common, **v))
