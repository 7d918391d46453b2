;; RISE's per-mask work, the hot loop of the method, in WebAssembly (the per-pixel part SIMD, 4 floats at a time):
;; interpolate the field rows along x; then, for every pixel row, interpolate the mask row between two of those rows
;; and write fill + (x − fill)·mask for every channel plane (NCHW, or one channel). Compiled by scripts/build-wasm.mjs into rise-mix-wasm.ts (checked by a test).
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
  ;; out: the mixed sample (f32, same layout as xd).
  (func (export "maskMix")
    (param $rows i32) (param $t0 i32) (param $bs i32) (param $H i32) (param $W i32)
    (param $xd i32) (param $out i32) (param $C i32) (param $fill f32)
    (local $y i32) (local $xo i32) (local $c i32) (local $r0 i32) (local $rowBytes i32) (local $planeBytes i32)
    (local $p i32) (local $b v128) (local $m v128) (local $f v128) (local $v0 v128)
    (local.set $rowBytes (i32.shl (local.get $W) (i32.const 2)))
    (local.set $planeBytes (i32.mul (local.get $rowBytes) (local.get $H)))
    (local.set $f (f32x4.splat (local.get $fill)))
    (block $yEnd
      (loop $yLoop
        (br_if $yEnd (i32.ge_u (local.get $y) (local.get $H)))
        (local.set $r0 (i32.add (local.get $rows)
          (i32.load (i32.add (local.get $t0) (i32.shl (local.get $y) (i32.const 2))))))
        (local.set $b (f32x4.splat (f32.load (i32.add (local.get $bs) (i32.shl (local.get $y) (i32.const 2))))))
        (local.set $xo (i32.const 0))
        (block $xEnd
          (loop $xLoop
            (br_if $xEnd (i32.ge_u (local.get $xo) (local.get $rowBytes)))
            (local.set $v0 (v128.load (i32.add (local.get $r0) (local.get $xo))))
            (local.set $m (f32x4.add (local.get $v0)
              (f32x4.mul (local.get $b)
                (f32x4.sub (v128.load (i32.add (i32.add (local.get $r0) (local.get $rowBytes)) (local.get $xo)))
                           (local.get $v0)))))
            (local.set $p (i32.add (i32.mul (local.get $y) (local.get $rowBytes)) (local.get $xo)))
            (local.set $c (i32.const 0))
            (block $cEnd
              (loop $cLoop
                (br_if $cEnd (i32.ge_u (local.get $c) (local.get $C)))
                (v128.store (i32.add (local.get $out) (local.get $p))
                  (f32x4.add (local.get $f)
                    (f32x4.mul (v128.load (i32.add (local.get $xd) (local.get $p))) (local.get $m))))
                (local.set $p (i32.add (local.get $p) (local.get $planeBytes)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $cLoop)))
            (local.set $xo (i32.add (local.get $xo) (i32.const 16)))
            (br $xLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yLoop)))))
