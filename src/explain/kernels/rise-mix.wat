;; RISE's per-mask work, the hot loop of the method, in WebAssembly SIMD (4 floats at a time): for every pixel row,
;; interpolate the mask row between two pre-interpolated field rows, then write fill + (x − fill)·mask for every
;; channel plane (NCHW, or one channel). Compiled by scripts/build-wasm.mjs into rise-mix-wasm.ts (checked by a test).
;; All pointers are byte offsets into the exported memory; W must be a multiple of 4.
(module
  (memory (export "memory") 1)
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
