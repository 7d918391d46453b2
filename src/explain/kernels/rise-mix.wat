;; RISE's per-mask work, the hot loop of the method, in WebAssembly (the per-pixel part SIMD, 4 floats at a time):
;; interpolate the field rows along x; then interpolate every pixel row of the mask between two of those rows, and
;; write fill + (x − fill)·mask for every channel plane (NCHW, or one channel). Compiled by scripts/build-wasm.mjs into rise-mix-wasm.ts (checked by a test).
;; All pointers are byte offsets into the exported memory; W must be a multiple of 4.
(module
  (memory (export "memory") 1)
  ;; The horizontal pass: each of the first `rowsUsed` field rows (G values, f32) interpolated at W columns into
  ;; `rows` (W f32 each). Column x reads field[ix[x]] and field[ix[x] + 1] (ix: i32 element offsets) with weight tx[x].
  (func (export "interpolateRows")
    (param $field i32) (param $ix i32) (param $tx i32) (param $G i32) (param $W i32) (param $rowsUsed i32) (param $rows i32)
    (local $r i32) (local $x i32) (local $src i32) (local $a f32) (local $out i32) (local $rowIn i32)
    (local.set $out (local.get $rows))
    (block $rEnd
      (loop $rLoop
        (br_if $rEnd (i32.ge_u (local.get $r) (local.get $rowsUsed)))
        (local.set $rowIn (i32.add (local.get $field) (i32.shl (i32.mul (local.get $r) (local.get $G)) (i32.const 2))))
        (local.set $x (i32.const 0))
        (block $xEnd
          (loop $xLoop
            (br_if $xEnd (i32.ge_u (local.get $x) (local.get $W)))
            (local.set $src (i32.add (local.get $rowIn)
              (i32.shl (i32.load (i32.add (local.get $ix) (i32.shl (local.get $x) (i32.const 2)))) (i32.const 2))))
            (local.set $a (f32.load (local.get $src)))
            (f32.store (local.get $out)
              (f32.add (local.get $a)
                (f32.mul (f32.load (i32.add (local.get $tx) (i32.shl (local.get $x) (i32.const 2))))
                         (f32.sub (f32.load offset=4 (local.get $src)) (local.get $a)))))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))
  ;; rows: field rows interpolated along x (f32, W each); t0: per output row, byte offset of its upper field row
  ;; from `rows` (i32); bs: per output row, the vertical weight (f32); xd: x − fill (f32, C planes of H·W);
  ;; out: the mixed sample (f32, same layout as xd); mask: scratch for the H·W mask (f32).
  ;; Two passes: the whole mask first (it stays in L1), then each channel plane as one flat loop of 4 vectors a
  ;; step: per element only a load, a multiply-add and a store, and the loop overhead spread over 16 floats.
  (func (export "maskMix")
    (param $rows i32) (param $t0 i32) (param $bs i32) (param $H i32) (param $W i32)
    (param $xd i32) (param $out i32) (param $C i32) (param $fill f32) (param $mask i32)
    (local $y i32) (local $c i32) (local $r0 i32) (local $rowEnd i32) (local $rowBytes i32) (local $planeBytes i32)
    (local $m i32) (local $end i32) (local $src i32) (local $dst i32)
    (local $b v128) (local $f v128) (local $v0 v128)
    (local.set $rowBytes (i32.shl (local.get $W) (i32.const 2)))
    (local.set $planeBytes (i32.mul (local.get $rowBytes) (local.get $H)))
    (local.set $f (f32x4.splat (local.get $fill)))
    ;; Pass 1: mask row y interpolates field rows t0[y] and the next one by bs[y].
    (local.set $m (local.get $mask))
    (block $yEnd
      (loop $yLoop
        (br_if $yEnd (i32.ge_u (local.get $y) (local.get $H)))
        (local.set $r0 (i32.add (local.get $rows)
          (i32.load (i32.add (local.get $t0) (i32.shl (local.get $y) (i32.const 2))))))
        (local.set $b (f32x4.splat (f32.load (i32.add (local.get $bs) (i32.shl (local.get $y) (i32.const 2))))))
        (local.set $rowEnd (i32.add (local.get $r0) (local.get $rowBytes)))
        (block $xEnd
          (loop $xLoop
            (br_if $xEnd (i32.ge_u (local.get $r0) (local.get $rowEnd)))
            (local.set $v0 (v128.load (local.get $r0)))
            (v128.store (local.get $m)
              (f32x4.add (local.get $v0)
                (f32x4.mul (local.get $b)
                  (f32x4.sub (v128.load (i32.add (local.get $r0) (local.get $rowBytes))) (local.get $v0)))))
            (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
            (local.set $m (i32.add (local.get $m) (i32.const 16)))
            (br $xLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yLoop)))
    ;; Pass 2: out = fill + xd · mask, plane by plane.
    (local.set $src (local.get $xd))
    (local.set $dst (local.get $out))
    (block $cEnd
      (loop $cLoop
        (br_if $cEnd (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $m (local.get $mask))
        (local.set $end (i32.add (local.get $mask) (local.get $planeBytes)))
        (block $qEnd
          (loop $qLoop
            (br_if $qEnd (i32.gt_u (i32.add (local.get $m) (i32.const 64)) (local.get $end)))
            (v128.store offset=0 (local.get $dst)
              (f32x4.add (local.get $f) (f32x4.mul (v128.load offset=0 (local.get $src)) (v128.load offset=0 (local.get $m)))))
            (v128.store offset=16 (local.get $dst)
              (f32x4.add (local.get $f) (f32x4.mul (v128.load offset=16 (local.get $src)) (v128.load offset=16 (local.get $m)))))
            (v128.store offset=32 (local.get $dst)
              (f32x4.add (local.get $f) (f32x4.mul (v128.load offset=32 (local.get $src)) (v128.load offset=32 (local.get $m)))))
            (v128.store offset=48 (local.get $dst)
              (f32x4.add (local.get $f) (f32x4.mul (v128.load offset=48 (local.get $src)) (v128.load offset=48 (local.get $m)))))
            (local.set $m (i32.add (local.get $m) (i32.const 64)))
            (local.set $src (i32.add (local.get $src) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
            (br $qLoop)))
        ;; The last vectors of a plane that are not a whole step of 4 (W is a multiple of 4, so whole vectors).
        (block $tEnd
          (loop $tLoop
            (br_if $tEnd (i32.ge_u (local.get $m) (local.get $end)))
            (v128.store (local.get $dst)
              (f32x4.add (local.get $f) (f32x4.mul (v128.load (local.get $src)) (v128.load (local.get $m)))))
            (local.set $m (i32.add (local.get $m) (i32.const 16)))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $tLoop)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cLoop)))))
