;; RISE's per-mask work, the hot loop of the method, in WebAssembly (the per-pixel part SIMD, 4 floats at a time):
;; draw the mask's keep/drop field and shift (mulberry32, the same stream as runtime/synthesize.ts' Mulberry32);
;; interpolate the field rows along x; then interpolate every pixel row of the mask between two of those rows, and
;; write fill + (x − fill)·mask for every channel (planes, or interleaved per pixel) (`sample`). Once its score is back,
;; add score·field and field to the sums of the mask's shift (`accumulate`); at the end, upsample the per-shift sums
;; into the map (`finish`). Compiled by scripts/build-wasm.mjs into rise-mix-wasm.ts (checked by a test). All pointers
;; are byte offsets into the exported memory; W must be a multiple of 4.
(module
  (memory (export "memory") 1)
  ;; The generator's state, read and written by the caller around each `sample`.
  (global $state (export "state") (mut i32) (i32.const 0))
  ;; The geometry and tables, set once per input by `setup` (see rise-mix.ts for the layout).
  (global $ring (mut i32) (i32.const 0))
  (global $ringShift (mut i32) (i32.const 0))
  (global $weighted (mut i32) (i32.const 0))
  (global $counted (mut i32) (i32.const 0))
  (global $used (mut i32) (i32.const 0))
  (global $sums (mut i32) (i32.const 0))
  (global $shifts (mut i32) (i32.const 0))
  (global $F (mut i32) (i32.const 0))
  (global $G (mut i32) (i32.const 0))
  (global $H (mut i32) (i32.const 0))
  (global $W (mut i32) (i32.const 0))
  (global $C (mut i32) (i32.const 0))
  ;; 1: channels interleaved per pixel (NHWC with C > 1); 0: channel planes.
  (global $interleaved (mut i32) (i32.const 0))
  (global $shiftsY (mut i32) (i32.const 0))
  (global $shiftsX (mut i32) (i32.const 0))
  (global $ix (mut i32) (i32.const 0))
  (global $tx (mut i32) (i32.const 0))
  (global $ru (mut i32) (i32.const 0))
  (global $rows (mut i32) (i32.const 0))
  (global $t0 (mut i32) (i32.const 0))
  (global $bs (mut i32) (i32.const 0))
  (global $xd (mut i32) (i32.const 0))
  (global $mask (mut i32) (i32.const 0))
  (global $fill (mut f32) (f32.const 0))
  (func (export "setup")
    (param $ring i32) (param $ringShift i32) (param $weighted i32) (param $counted i32) (param $used i32) (param $sums i32)
    (param $F i32) (param $G i32) (param $H i32) (param $W i32) (param $C i32)
    (param $shiftsY i32) (param $shiftsX i32) (param $ix i32) (param $tx i32) (param $ru i32) (param $rows i32)
    (param $t0 i32) (param $bs i32) (param $xd i32) (param $mask i32) (param $fill f32) (param $interleaved i32)
    (global.set $ring (local.get $ring)) (global.set $ringShift (local.get $ringShift))
    (global.set $weighted (local.get $weighted)) (global.set $counted (local.get $counted))
    (global.set $used (local.get $used)) (global.set $sums (local.get $sums))
    (global.set $shifts (i32.mul (local.get $shiftsY) (local.get $shiftsX)))
    (global.set $F (local.get $F)) (global.set $G (local.get $G))
    (global.set $H (local.get $H)) (global.set $W (local.get $W)) (global.set $C (local.get $C))
    (global.set $shiftsY (local.get $shiftsY)) (global.set $shiftsX (local.get $shiftsX))
    (global.set $ix (local.get $ix)) (global.set $tx (local.get $tx)) (global.set $ru (local.get $ru))
    (global.set $rows (local.get $rows)) (global.set $t0 (local.get $t0)) (global.set $bs (local.get $bs))
    (global.set $xd (local.get $xd)) (global.set $mask (local.get $mask)) (global.set $fill (local.get $fill))
    (global.set $interleaved (local.get $interleaved)))
  ;; mulberry32: the next 32 random bits, as a double in [0, 1) (the JS generator divides by 2^32; multiplying by
  ;; 2^-32 gives the same double, exactly, and is cheaper).
  (func $next (result f64)
    (local $a i32) (local $t i32)
    (local.set $a (i32.add (global.get $state) (i32.const 0x6d2b79f5)))
    (global.set $state (local.get $a))
    (local.set $t (i32.mul (i32.xor (local.get $a) (i32.shr_u (local.get $a) (i32.const 15))) (i32.or (local.get $a) (i32.const 1))))
    (local.set $t (i32.xor (local.get $t)
      (i32.add (local.get $t)
        (i32.mul (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 7))) (i32.or (local.get $t) (i32.const 61))))))
    (f64.mul (f64.convert_i32_u (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 14)))) (f64.const 0x1p-32)))
  ;; A uniform draw in 0 .. n − 1, as the JS side computes it: min(n − 1, floor(next() · n)).
  (func $below (param $n i32) (result i32)
    (local $k i32)
    (local.set $k (i32.trunc_f64_u (f64.floor (f64.mul (call $next) (f64.convert_i32_u (local.get $n))))))
    (select (local.get $k) (i32.sub (local.get $n) (i32.const 1)) (i32.lt_u (local.get $k) (local.get $n))))
  ;; One mask: its field (1 with probability p, else 0) into ring slot `slot`, its shift drawn (and kept with the
  ;; slot), the sample mixed into `out`. Returns the shift index (sy · shiftsX + sx). Same draws, in the same order,
  ;; as RiseMasks.draw.
  (func (export "sample") (param $p f64) (param $out i32) (param $slot i32) (result i32)
    (local $i i32) (local $at i32) (local $sy i32) (local $sx i32) (local $sxOff i32) (local $syOff i32) (local $field i32)
    (local $a i32) (local $t i32) (local $limit f64) (local $thr i32) (local $always i32)
    (local.set $field (i32.add (global.get $ring) (i32.shl (i32.mul (local.get $slot) (global.get $F)) (i32.const 2))))
    (local.set $at (local.get $field))
    ;; next() < p, for next() = bits / 2^32, is bits < ceil(p · 2^32) (exact: both scalings are by a power of two).
    ;; The generator is inlined with its state in a local: only the state's add chains one draw to the next, so
    ;; consecutive draws overlap in the CPU.
    (local.set $limit (f64.ceil (f64.mul (local.get $p) (f64.const 0x1p32))))
    (local.set $always (f64.ge (local.get $limit) (f64.const 0x1p32)))
    (local.set $thr (if (result i32) (f64.le (local.get $limit) (f64.const 0))
      (then (i32.const 0)) (else (i32.trunc_sat_f64_u (local.get $limit)))))
    (local.set $a (global.get $state))
    (block $dEnd
      (loop $dLoop
        (br_if $dEnd (i32.ge_u (local.get $i) (global.get $F)))
        (local.set $a (i32.add (local.get $a) (i32.const 0x6d2b79f5)))
        (local.set $t (i32.mul (i32.xor (local.get $a) (i32.shr_u (local.get $a) (i32.const 15))) (i32.or (local.get $a) (i32.const 1))))
        (local.set $t (i32.xor (local.get $t)
          (i32.add (local.get $t)
            (i32.mul (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 7))) (i32.or (local.get $t) (i32.const 61))))))
        (f32.store (local.get $at) (select (f32.const 1) (f32.const 0)
          (i32.or (local.get $always)
            (i32.lt_u (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 14))) (local.get $thr)))))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $dLoop)))
    (global.set $state (local.get $a))
    (local.set $sy (call $below (global.get $shiftsY)))
    (local.set $sx (call $below (global.get $shiftsX)))
    (local.set $sxOff (i32.shl (i32.mul (local.get $sx) (global.get $W)) (i32.const 2)))
    (local.set $syOff (i32.shl (i32.mul (local.get $sy) (global.get $H)) (i32.const 2)))
    (call $interpolateRows (local.get $field) (i32.add (global.get $ix) (local.get $sxOff)) (i32.add (global.get $tx) (local.get $sxOff))
      (global.get $G) (global.get $W) (i32.load (i32.add (global.get $ru) (i32.shl (local.get $sy) (i32.const 2)))) (global.get $rows))
    (call $maskBuild (global.get $rows) (i32.add (global.get $t0) (local.get $syOff)) (i32.add (global.get $bs) (local.get $syOff))
      (global.get $H) (global.get $W) (global.get $mask))
    (if (global.get $interleaved)
      (then (call $mixPixels (global.get $xd) (local.get $out) (global.get $C) (global.get $fill) (global.get $mask)
        (i32.mul (global.get $H) (global.get $W))))
      (else (call $mixPlanes (global.get $xd) (local.get $out) (global.get $C) (global.get $fill) (global.get $mask)
        (i32.shl (i32.mul (global.get $H) (global.get $W)) (i32.const 2)))))
    (i32.store (i32.add (global.get $ringShift) (i32.shl (local.get $slot) (i32.const 2)))
      (i32.add (i32.mul (local.get $sy) (global.get $shiftsX)) (local.get $sx)))
    (i32.add (i32.mul (local.get $sy) (global.get $shiftsX)) (local.get $sx)))
  ;; The score s of the mask in ring slot `slot`: its shift's sums take s·field and field, and the shift counts as used.
  (func (export "accumulate") (param $slot i32) (param $s f32)
    (local $j i32) (local $f i32) (local $w i32) (local $c i32) (local $m f32) (local $sh i32)
    (local.set $sh (i32.load (i32.add (global.get $ringShift) (i32.shl (local.get $slot) (i32.const 2)))))
    (i32.store8 (i32.add (global.get $used) (local.get $sh)) (i32.const 1))
    (local.set $f (i32.add (global.get $ring) (i32.shl (i32.mul (local.get $slot) (global.get $F)) (i32.const 2))))
    (local.set $w (i32.add (global.get $weighted) (i32.shl (i32.mul (local.get $sh) (global.get $F)) (i32.const 2))))
    (local.set $c (i32.add (global.get $counted) (i32.shl (i32.mul (local.get $sh) (global.get $F)) (i32.const 2))))
    (block $end (loop $l
      (br_if $end (i32.ge_u (local.get $j) (global.get $F)))
      (local.set $m (f32.load (local.get $f)))
      (f32.store (local.get $w) (f32.add (f32.load (local.get $w)) (f32.mul (local.get $s) (local.get $m))))
      (f32.store (local.get $c) (f32.add (f32.load (local.get $c)) (local.get $m)))
      (local.set $f (i32.add (local.get $f) (i32.const 4)))
      (local.set $w (i32.add (local.get $w) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))
  ;; Before a call's first mask: no sums, no shift used.
  (func (export "clearSums")
    (memory.fill (global.get $weighted) (i32.const 0) (i32.shl (i32.mul (global.get $shifts) (global.get $F)) (i32.const 2)))
    (memory.fill (global.get $counted) (i32.const 0) (i32.shl (i32.mul (global.get $shifts) (global.get $F)) (i32.const 2)))
    (memory.fill (global.get $used) (i32.const 0) (global.get $shifts)))
  ;; After the last: sums = weighted − mean · counted (the mean score taken out), then their upsampled sum into `acc`.
  (func (export "finish") (param $mean f32) (param $acc i32)
    (local $i i32) (local $n i32)
    (local.set $n (i32.mul (global.get $shifts) (global.get $F)))
    (block $end (loop $l
      (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
      (f32.store (i32.add (global.get $sums) (i32.shl (local.get $i) (i32.const 2)))
        (f32.sub (f32.load (i32.add (global.get $weighted) (i32.shl (local.get $i) (i32.const 2))))
          (f32.mul (local.get $mean) (f32.load (i32.add (global.get $counted) (i32.shl (local.get $i) (i32.const 2)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $upsampleSum (global.get $sums) (global.get $used) (local.get $acc)))
  ;; The end of RISE: Σ over shifts of each shift's score-weighted field (f32, shifts × F at `sums`; shifts whose
  ;; byte at `used` is 0 are skipped) upsampled to H·W into `acc`, both passes added up: for each vertical shift, the
  ;; horizontal passes of its shifts summed into `rows` (both passes are linear), then one vertical pass added to acc.
  (func $upsampleSum (param $sums i32) (param $used i32) (param $acc i32)
    (local $sy i32) (local $sx i32) (local $sh i32) (local $any i32) (local $p i32) (local $end i32) (local $rowsEnd i32)
    (local $sxOff i32) (local $syOff i32)
    ;; acc = 0
    (local.set $p (local.get $acc))
    (local.set $end (i32.add (local.get $acc) (i32.shl (i32.mul (global.get $H) (global.get $W)) (i32.const 2))))
    (block $zEnd (loop $z
      (br_if $zEnd (i32.ge_u (local.get $p) (local.get $end)))
      (v128.store (local.get $p) (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $z)))
    (local.set $rowsEnd (i32.add (global.get $rows) (i32.shl (i32.mul (global.get $G) (global.get $W)) (i32.const 2))))
    (block $yEnd (loop $yLoop
      (br_if $yEnd (i32.ge_u (local.get $sy) (global.get $shiftsY)))
      ;; rows = 0
      (local.set $p (global.get $rows))
      (block $rzEnd (loop $rz
        (br_if $rzEnd (i32.ge_u (local.get $p) (local.get $rowsEnd)))
        (v128.store (local.get $p) (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $rz)))
      (local.set $any (i32.const 0))
      (local.set $sx (i32.const 0))
      (block $xEnd (loop $xLoop
        (br_if $xEnd (i32.ge_u (local.get $sx) (global.get $shiftsX)))
        (local.set $sh (i32.add (i32.mul (local.get $sy) (global.get $shiftsX)) (local.get $sx)))
        (if (i32.load8_u (i32.add (local.get $used) (local.get $sh)))
          (then
            (local.set $any (i32.const 1))
            (local.set $sxOff (i32.shl (i32.mul (local.get $sx) (global.get $W)) (i32.const 2)))
            (call $rowsAdd (i32.add (local.get $sums) (i32.shl (i32.mul (local.get $sh) (global.get $F)) (i32.const 2)))
              (i32.add (global.get $ix) (local.get $sxOff)) (i32.add (global.get $tx) (local.get $sxOff))
              (i32.load (i32.add (global.get $ru) (i32.shl (local.get $sy) (i32.const 2)))))))
        (local.set $sx (i32.add (local.get $sx) (i32.const 1)))
        (br $xLoop)))
      (if (local.get $any)
        (then
          (local.set $syOff (i32.shl (i32.mul (local.get $sy) (global.get $H)) (i32.const 2)))
          (call $columnsAdd (i32.add (global.get $t0) (local.get $syOff)) (i32.add (global.get $bs) (local.get $syOff)) (local.get $acc))))
      (local.set $sy (i32.add (local.get $sy) (i32.const 1)))
      (br $yLoop))))
  ;; rows += the first `rowsUsed` field rows interpolated along x (as interpolateRows, added instead of written).
  (func $rowsAdd (param $field i32) (param $ix i32) (param $tx i32) (param $rowsUsed i32)
    (local $r i32) (local $x i32) (local $src i32) (local $a f32) (local $out i32) (local $rowIn i32)
    (local.set $out (global.get $rows))
    (block $rEnd (loop $rLoop
      (br_if $rEnd (i32.ge_u (local.get $r) (local.get $rowsUsed)))
      (local.set $rowIn (i32.add (local.get $field) (i32.shl (i32.mul (local.get $r) (global.get $G)) (i32.const 2))))
      (local.set $x (i32.const 0))
      (block $xEnd (loop $xLoop
        (br_if $xEnd (i32.ge_u (local.get $x) (global.get $W)))
        (local.set $src (i32.add (local.get $rowIn)
          (i32.shl (i32.load (i32.add (local.get $ix) (i32.shl (local.get $x) (i32.const 2)))) (i32.const 2))))
        (local.set $a (f32.load (local.get $src)))
        (f32.store (local.get $out)
          (f32.add (f32.load (local.get $out))
            (f32.add (local.get $a)
              (f32.mul (f32.load (i32.add (local.get $tx) (i32.shl (local.get $x) (i32.const 2))))
                       (f32.sub (f32.load offset=4 (local.get $src)) (local.get $a))))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $xLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop))))
  ;; acc (H·W) += every pixel row interpolated between two of `rows` (as maskMix's first pass, added).
  (func $columnsAdd (param $t0 i32) (param $bs i32) (param $acc i32)
    (local $y i32) (local $r0 i32) (local $rowEnd i32) (local $rowBytes i32) (local $m i32) (local $b v128) (local $v0 v128)
    (local.set $rowBytes (i32.shl (global.get $W) (i32.const 2)))
    (local.set $m (local.get $acc))
    (block $yEnd (loop $yLoop
      (br_if $yEnd (i32.ge_u (local.get $y) (global.get $H)))
      (local.set $r0 (i32.add (global.get $rows)
        (i32.load (i32.add (local.get $t0) (i32.shl (local.get $y) (i32.const 2))))))
      (local.set $b (f32x4.splat (f32.load (i32.add (local.get $bs) (i32.shl (local.get $y) (i32.const 2))))))
      (local.set $rowEnd (i32.add (local.get $r0) (local.get $rowBytes)))
      (block $xEnd (loop $xLoop
        (br_if $xEnd (i32.ge_u (local.get $r0) (local.get $rowEnd)))
        (local.set $v0 (v128.load (local.get $r0)))
        (v128.store (local.get $m)
          (f32x4.add (v128.load (local.get $m))
            (f32x4.add (local.get $v0)
              (f32x4.mul (local.get $b)
                (f32x4.sub (v128.load (i32.add (local.get $r0) (local.get $rowBytes))) (local.get $v0))))))
        (local.set $r0 (i32.add (local.get $r0) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (br $xLoop)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yLoop))))
  ;; The horizontal pass: each of the first `rowsUsed` field rows (G values, f32) interpolated at W columns into
  ;; `rows` (W f32 each). Column x reads field[ix[x]] and field[ix[x] + 1] (ix: i32 element offsets) with weight tx[x].
  (func $interpolateRows
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
  ;; from `rows` (i32); bs: per output row, the vertical weight (f32); mask: the H·W mask (f32) this writes.
  ;; Mask row y interpolates field rows t0[y] and the next one by bs[y], 4 pixels a step.
  (func $maskBuild (param $rows i32) (param $t0 i32) (param $bs i32) (param $H i32) (param $W i32) (param $mask i32)
    (local $y i32) (local $r0 i32) (local $rowEnd i32) (local $rowBytes i32) (local $m i32) (local $b v128) (local $v0 v128)
    (local.set $rowBytes (i32.shl (local.get $W) (i32.const 2)))
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
        (br $yLoop))))
  ;; out = fill + xd · mask for channel planes (NCHW, or one channel): xd and out are C planes of `plane` bytes, each
  ;; plane one flat loop of 4 vectors a step (per element a load, a multiply-add and a store).
  (func $mixPlanes (param $xd i32) (param $out i32) (param $C i32) (param $fill f32) (param $mask i32) (param $plane i32)
    (local $c i32) (local $m i32) (local $end i32) (local $src i32) (local $dst i32) (local $f v128)
    (local.set $f (f32x4.splat (local.get $fill)))
    (local.set $src (local.get $xd))
    (local.set $dst (local.get $out))
    (block $cEnd
      (loop $cLoop
        (br_if $cEnd (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $m (local.get $mask))
        (local.set $end (i32.add (local.get $mask) (local.get $plane)))
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
        (br $cLoop))))
  ;; out = fill + xd · mask for interleaved channels (NHWC with C > 1): pixel p's channels at p·C .. p·C + C − 1.
  ;; Three channels (RGB) go 4 pixels a step: their 4 mask values spread over 3 vectors as m0 m0 m0 m1 | m1 m1 m2 m2 |
  ;; m2 m3 m3 m3; other counts one value at a time. `pixels` is H·W, a multiple of 4.
  (func $mixPixels (param $xd i32) (param $out i32) (param $C i32) (param $fill f32) (param $mask i32) (param $pixels i32)
    (local $m i32) (local $end i32) (local $src i32) (local $dst i32) (local $c i32) (local $f v128) (local $mv v128)
    (local $mf f32)
    (local.set $f (f32x4.splat (local.get $fill)))
    (local.set $src (local.get $xd))
    (local.set $dst (local.get $out))
    (local.set $m (local.get $mask))
    (local.set $end (i32.add (local.get $mask) (i32.shl (local.get $pixels) (i32.const 2))))
    (if (i32.eq (local.get $C) (i32.const 3))
      (then
        (block $qEnd
          (loop $qLoop
            (br_if $qEnd (i32.ge_u (local.get $m) (local.get $end)))
            (local.set $mv (v128.load (local.get $m)))
            (v128.store offset=0 (local.get $dst)
              (f32x4.add (local.get $f) (f32x4.mul (v128.load offset=0 (local.get $src))
                (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 4 5 6 7 (local.get $mv) (local.get $mv)))))
            (v128.store offset=16 (local.get $dst)
              (f32x4.add (local.get $f) (f32x4.mul (v128.load offset=16 (local.get $src))
                (i8x16.shuffle 4 5 6 7 4 5 6 7 8 9 10 11 8 9 10 11 (local.get $mv) (local.get $mv)))))
            (v128.store offset=32 (local.get $dst)
              (f32x4.add (local.get $f) (f32x4.mul (v128.load offset=32 (local.get $src))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $mv) (local.get $mv)))))
            (local.set $m (i32.add (local.get $m) (i32.const 16)))
            (local.set $src (i32.add (local.get $src) (i32.const 48)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 48)))
            (br $qLoop))))
      (else
        (block $pEnd
          (loop $pLoop
            (br_if $pEnd (i32.ge_u (local.get $m) (local.get $end)))
            (local.set $mf (f32.load (local.get $m)))
            (local.set $c (i32.const 0))
            (block $cEnd
              (loop $cLoop
                (br_if $cEnd (i32.ge_u (local.get $c) (local.get $C)))
                (f32.store (local.get $dst) (f32.add (local.get $fill) (f32.mul (f32.load (local.get $src)) (local.get $mf))))
                (local.set $src (i32.add (local.get $src) (i32.const 4)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $cLoop)))
            (local.set $m (i32.add (local.get $m) (i32.const 4)))
            (br $pLoop))))))
)
