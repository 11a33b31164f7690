#!/usr/bin/env bash
# Builds and runs a libFuzzer target per decoder (PNG, JPEG) over the C shim and SigLIPImage.
#
#   fuzz/run.sh [seconds-per-target]     (default 60)
#
# The C shim is compiled by the toolchain's clang with -fsanitize=fuzzer-no-link,address, the
# Swift sources with swiftc -sanitize=fuzzer,address. libpng/libjpeg are the system builds
# (not instrumented): coverage guides through our code only. Seeds: the test fixtures and the
# malformed corpus. Work files go to .build-fuzz/ (crash inputs land there too).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
OUT=.build-fuzz
SWIFT_BIN="$(dirname "$(command -v swiftc)")"
CLANG="$SWIFT_BIN/clang"
mkdir -p "$OUT/module" "$OUT/obj"

# A module map so the Swift sources can `import CImageCodecs` outside SwiftPM.
cat > "$OUT/module/module.modulemap" <<MAP
module CImageCodecs {
    header "$PWD/Sources/CImageCodecs/include/image_codecs.h"
    export *
}
MAP

for source in Sources/CImageCodecs/*.c; do
    # SIGLIP_FUZZING: PNG CRCs are ignored so that mutations get past the chunk checks.
    "$CLANG" -c -g -O1 -fsanitize=fuzzer-no-link,address -DSIGLIP_FUZZING -I Sources/CImageCodecs/include \
        "$source" -o "$OUT/obj/$(basename "$source" .c).o"
done

status=0
for format in PNG JPEG; do
    lower=$(echo "$format" | tr 'A-Z' 'a-z')
    binary="$OUT/${lower}_fuzzer"
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -D "FUZZ_$format" -module-name SigLIPImageFuzz \
        -I "$OUT/module" fuzz/DecodeFuzzer.swift Sources/SigLIPImage/*.swift "$OUT"/obj/*.o \
        -lpng16 -ljpeg -o "$binary" 2> "$OUT/${lower}_build.log" \
        || { cat "$OUT/${lower}_build.log"; exit 1; }  # (ld.gold warns about local asan symbols; harmless)
    corpus="$OUT/corpus_$lower"
    mkdir -p "$corpus"
    if [ "$format" = PNG ]; then ext=png; else ext=jpg; fi
    cp Tests/SigLIPImageTests/Resources/fixtures/*."$ext" Tests/SigLIPImageTests/Resources/malformed/*."$ext" "$corpus"/
    echo "== $format: fuzzing for $SECONDS_PER_TARGET s"
    if ! "$binary" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$OUT/${lower}_" 2> "$OUT/${lower}.log"; then
        echo "!! $format fuzzer found a problem: see $OUT/${lower}.log"
        status=1
    fi
    grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)" "$OUT/${lower}.log" || true
    tail -n 3 "$OUT/${lower}.log"
done
exit $status
