#!/usr/bin/env python3
"""DORY 2021's L2 -> L1 tile choice, transcribed for the tiler test's expectations.

dory 6d01e9c (the DORY of REFERENCE.md's MobileNetV1-128 figures), tiling.py,
get_tiling_conv2d_like: 8-bit, BN on, NUM_CORES 8; its constraints and objective line by line,
searched exhaustively (the OR-Tools CP solver maximises the objective exactly). `fit_extra`
adds to the fit only the bytes the workbench's buffers hold beyond DORY's count (the bias,
2 x 4 B a channel, which DORY folds into lambda, and 40 B of slack): what tiler=dory picks.

Usage: /usr/bin/python3 dory2021_tiles.py 38000 30000
(PulpTiler.DorysTilesAreTheOnesDory2021PicksOnMobileNetV1 holds the printed tiles.)
"""
import sys
def search(DW, n_in, n_out, h_in, w_in, h_out, w_out, fs, s, pads, budget, fit_extra=lambda tn: 0):
    pt, pb, pl, pr = pads
    db = 2
    best = None
    def border(i_n, t_in, pa, pb_):
        d = t_in - fs + 1
        r = max(i_n - t_in - (t_in - fs + 1 - pa), 0) % d
        r2 = max(i_n - t_in - (t_in - fs + 1 - pb_), 0) % d
        return r + abs(min(r2, 1) - 1) * fs >= fs
    for th_in in range(fs, h_in + 1):
        if DW == 1 and h_in <= 32 and w_in <= 32 and th_in != h_in: continue
        if (DW != 1 or (h_in > 32 and w_in > 32)) and (th_in - fs) % s: continue
        if DW == 1 and h_in <= 32 and w_in <= 32:
            th = h_out
        elif DW == 1:
            num = th_in - (fs - 1) + (1 if th_in % h_in == 0 else 0) * (pt + pb) + (s - 1)
            if num % s: continue
            th = num // s
        else:
            num = th_in - (fs - 1) + (s - 1)
            if num % s: continue
            th = num // s
        if th < 1 or th > h_out: continue
        if not border(h_in, th_in, pt, pb): continue
        for tw_in in range(fs, w_in + 1):
            if DW == 1 and tw_in != w_in: continue
            if DW == 1:
                tw = w_out
            else:
                num = tw_in - (fs - 1) + (s - 1)
                if num % s: continue
                tw = num // s
            if tw < 1 or tw > w_out: continue
            if not border(w_in, tw_in, pl, pr): continue
            for tn in range(1, n_out + 1):
                ni = tn if DW else n_in
                c = db*256*ni*th_in*tw_in + db*256*tn*th*tw + db*256*ni*(tn if not DW else 1)*fs*fs
                c += (32*8*2*8*fs*fs*n_in) if not DW else 32*8*8*(fs*(th_in+pt+pb)+fs)
                c += 32*32*tn*2*db + 20
                if c > 32*budget*8: break
                if c + fit_extra(tn)*256 > 32*budget*8: continue
                if not DW:
                    o = (64*10000*tn + c + 64*2000000*((th-1) % 8) + 64*3000000*((tw-1) % 2)
                         + 64*1000000*((tn-1) % 4) + 64*1000000*(tw*th >= 16)
                         + 64*10000*(n_out % (tn+1)) + 64*10000*((n_out % (tn+1)) % 4)
                         + 64*20000*((h_out % (th+1)) % 8) + 64*30000*((w_out % (tw+1)) % 2))
                else:
                    o = (c + 32*1000*tw + 32*1000*th + 32*10000*(tn > 7) + 64*10000*((tn-1) % 8)
                         + 32*10000*((th % 4) == 0) + 32*100*((n_out % (tn+1)) > 7) + 32*100*(h_out % (th+1))
                         + 32*100*((h_out % (th+1)) % 4) + 32*100*(w_out % (tw+1)))
                if best is None or o > best[0]:
                    best = (o, tn, th, tw)
    return best[1:] if best else None

pw = {'features.2': (32, 64, 64), 'features.4': (64, 128, 32), 'features.6': (128, 128, 32), 'features.8': (128, 256, 16),
      'features.10': (256, 256, 16), 'features.12': (256, 512, 8), 'features.14': (512, 512, 8), 'features.24': (512, 1024, 4),
      'features.26': (1024, 1024, 4)}
dw = {'features.1': (32, 64, 1), 'features.3': (64, 64, 2), 'features.5': (128, 32, 1), 'features.7': (128, 32, 2),
      'features.9': (256, 16, 1), 'features.11': (256, 16, 2), 'features.13': (512, 8, 1), 'features.23': (512, 8, 2),
      'features.25': (1024, 4, 1)}  # channels, input side, stride; pads 1 (0 after, at stride 2)
ours = lambda tn: 8*tn + 40
if __name__ == '__main__':
  for budget in map(int, sys.argv[1:]):
      for name, (ci, co, h) in pw.items():
          print(budget, name, 'dory2021', search(0, ci, co, h, h, h, h, 1, 1, (0,0,0,0), budget), 'fit+bias', search(0, ci, co, h, h, h, h, 1, 1, (0,0,0,0), budget, ours))
      for name, (c, h, st) in dw.items():
          pads = (1, 1, 1, 1) if st == 1 else (1, 0, 1, 0)
          ho = (h + pads[0] + pads[1] - 3) // st + 1
          print(budget, name, 'dory2021', search(1, c, c, h, h, ho, ho, 3, st, pads, budget), 'fit+bias', search(1, c, c, h, h, ho, ho, 3, st, pads, budget, ours))
