#!/usr/bin/env bash
# Builds and runs the libFuzzer targets: the image decoders (PNG, JPEG) and every other reader of
# user files — the tar index, the SentencePiece model reader, the safetensors reader, the big_vision
# .npz reader (with ZIPFoundation), config.json and trainer_state.json.
#
#   fuzz/run.sh [seconds-per-target] [target ...]     (default 60 s; all targets)
#
# Each target is one module: its harness (fuzz/<Name>Fuzzer.swift) compiled with swiftc
# -sanitize=fuzzer,address together with the library sources it exercises, copied to
# .build-fuzz/src/<target>/ with the imports of our own modules removed (they are one module
# here). The npz target takes ZIPFoundation's Swift sources (from .build/checkouts) into its
# module too, and its CZlib shim over the system zlib. The sentencepiece target links
# swift-protobuf's library (from .build/checkouts), compiled once into its own module
# SwiftProtobuf (the generated code names it), instrumented as the targets are. The C image shim is compiled by the
# toolchain's clang with -fsanitize=fuzzer-no-link,address; libpng/libjpeg/zlib are the system
# builds (not instrumented). Seeds: the test fixtures.
# Work files and crash inputs go to .build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("${@:-png jpeg tar sentencepiece safetensors npz config trainerstate}")
read -r -a TARGETS <<< "${TARGETS[*]}"
OUT=.build-fuzz
# ZIPFoundation's sources, as SwiftPM checked them out (`swift package resolve` fetches them).
ZIPFOUNDATION=.build/checkouts/ZIPFoundation/Sources
SWIFTPROTOBUF=.build/checkouts/swift-protobuf/Sources/SwiftProtobuf
SWIFT_BIN="$(dirname "$(command -v swiftc)")"
CLANG="$SWIFT_BIN/clang"
mkdir -p "$OUT/module" "$OUT/obj"

# The sources of each target (besides Sources/SigLIPBase, which every target takes).
sources() {
    case "$1" in
        png|jpeg) echo Sources/SigLIPImage/*.swift ;;
        tar) echo Sources/SigLIPData/TarIndex.swift Sources/SigLIPData/ReadOnlyFile.swift ;;
        sentencepiece) echo Sources/SigLIPText/*.swift Sources/SigLIPText/Generated/*.swift ;;
        safetensors) echo Sources/SigLIPCore/IO/SafeTensors.swift Sources/SigLIPCore/IO/SafeTensorsHeader.swift Sources/SigLIPCore/IO/StrictJSON.swift ;;
        npz) echo Sources/SigLIPCore/IO/NPZ.swift Sources/SigLIPCore/IO/NPY.swift Sources/SigLIPCore/IO/SafeTensors.swift \
                  Sources/SigLIPCore/IO/SafeTensorsHeader.swift Sources/SigLIPCore/IO/StrictJSON.swift "$ZIPFOUNDATION"/ZIPFoundation/*.swift ;;
        config) echo Sources/SigLIPModels/Config/*.swift Sources/SigLIPModels/Recursion/RecursionConfig.swift \
                     Sources/SigLIPModels/Recursion/RecursionSignature.swift Sources/SigLIPCore/Random/Random.swift ;;
        trainerstate) echo Sources/SigLIPTraining/Run/TrainerState.swift Sources/SigLIPTraining/Run/RunJSON.swift \
                           Sources/SigLIPCore/Random/Random.swift ;;
    esac
}
harness() {
    case "$1" in
        png|jpeg) echo fuzz/DecodeFuzzer.swift ;;
        tar) echo fuzz/TarFuzzer.swift ;;
        sentencepiece) echo fuzz/SentencePieceFuzzer.swift ;;
        safetensors) echo fuzz/SafeTensorsFuzzer.swift ;;
        npz) echo fuzz/NPZFuzzer.swift ;;
        config) echo fuzz/ConfigFuzzer.swift ;;
        trainerstate) echo fuzz/TrainerStateFuzzer.swift ;;
    esac
}
# Seed corpus of each target.
seed() {
    local corpus="$2"
    case "$1" in
        png) cp Tests/SigLIPImageTests/Resources/fixtures/*.png Tests/SigLIPImageTests/Resources/malformed/*.png "$corpus"/ ;;
        jpeg) cp Tests/SigLIPImageTests/Resources/fixtures/*.jpg Tests/SigLIPImageTests/Resources/malformed/*.jpg "$corpus"/ ;;
        tar) # small members only: a real shard's first 64 KiB and a pax/long-name archive
            head -c 65536 "$(ls datasets/default/train/*.tar | head -1)" > "$corpus/shard-head.tar"
            (cd "$OUT" && rm -rf tarseed && mkdir -p tarseed && cd tarseed && printf 'a caption' > "$(printf 'k%.0s' {1..120}).txt" \
                && printf 'x' > b.png && tar --format=pax -cf "../../$corpus/pax.tar" . && tar --format=gnu -cf "../../$corpus/gnu.tar" .) ;;
        sentencepiece) cp Tests/SigLIPTextTests/Resources/*.model "$corpus"/ ;;
        safetensors) { find Tests -name '*.safetensors' -size -200k | head -20 | xargs -r -I{} cp {} "$corpus"/; } || true
            printf '\x1e\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}\x00\x00\x80\x3f' > "$corpus/one.safetensors" ;;
        npz) cp Tests/SigLIPModelsTests/Resources/bigvision/*.npz "$corpus"/ ;;   # the checkpoints and the damaged ones
        config) cp datasets/default/*/config.json "$corpus"/ 2>/dev/null || true
            find Tests -name config.json | head -20 | while read -r f; do cp "$f" "$corpus/$(echo "$f" | tr / _)"; done
            printf '{"vision_config":{"recursion":{"signature":"A^r B","rounds":3,"adapter":"linear"}},"text_config":{"mask_padding":true}}' > "$corpus/rins.json" ;;
        trainerstate)
            printf '{"step":2,"examplesSeen":16,"flopsSpent":1.5e9,"dataPosition":"eyJlcG9jaCI6MCwib2Zmc2V0IjoxNn0=","generator":{"state":[1,2,3,4]},"optimizerStep":2,"metricsLines":3,"skippedFiles":0,"evaluations":[{"step":2,"examples":16,"flops":1e9,"rounds":1,"top1":"nan","top5":0.5,"images":10,"classes":5}],"totalSteps":4}' > "$corpus/state.json" ;;
    esac
}

# The C shim, for the image targets.
cat > "$OUT/module/module.modulemap" <<MAP
module CImageCodecs {
    umbrella "$PWD/Sources/CImageCodecs/include"
    export *
}
MAP
for source in Sources/CImageCodecs/*.c; do
    # SIGLIP_FUZZING: PNG CRCs are ignored so that mutations get past the chunk checks.
    "$CLANG" -c -g -O1 -fsanitize=fuzzer-no-link,address -DSIGLIP_FUZZING -I Sources/CImageCodecs/include \
        "$source" -o "$OUT/obj/$(basename "$source" .c).o"
done

for target in "${TARGETS[@]}"; do
    if { [ "$target" = npz ] && [ ! -d "$ZIPFOUNDATION/ZIPFoundation" ]; } || { [ "$target" = sentencepiece ] && [ ! -d "$SWIFTPROTOBUF" ]; }; then
        echo "fuzz/run.sh: the $target target needs the package checkouts: run 'swift package resolve' (or swift build) first" >&2
        exit 1
    fi
    if [ "$target" = sentencepiece ] && [ ! -f "$OUT/lib/libSwiftProtobuf.a" ]; then
        mkdir -p "$OUT/lib"
        swiftc -parse-as-library -O -g -sanitize=fuzzer,address -swift-version 6 -package-name swift_protobuf \
            -enable-upcoming-feature ExistentialAny \
            -module-name SwiftProtobuf -emit-module -emit-module-path "$OUT/lib/SwiftProtobuf.swiftmodule" -emit-library -static \
            "$SWIFTPROTOBUF"/*.swift -o "$OUT/lib/libSwiftProtobuf.a" 2> "$OUT/swiftprotobuf_build.log" \
            || { cat "$OUT/swiftprotobuf_build.log"; exit 1; }
    fi
done

# Leaks that are not ours. ZIPFoundation 0.9.20 on Linux never frees the path that
# FileManager.fileSystemRepresentation(withPath:) allocates when it opens an archive (one path's
# bytes per .npz opened, whatever the file holds).
cat > "$OUT/lsan.supp" <<SUPP
leak:makeBackingConfiguration
SUPP

status=0
for target in "${TARGETS[@]}"; do
    src="$OUT/src/$target"
    rm -rf "$src" && mkdir -p "$src"
    for file in Sources/SigLIPBase/*.swift $(sources "$target") $(harness "$target"); do
        # One module here: drop the imports of our own modules and ZIPFoundation (sed keeps line numbers).
        sed -E 's/^(@_exported |@testable )?import (SigLIP[A-Za-z]*|ZIPFoundation)$//' "$file" > "$src/$(basename "$file")"
    done
    binary="$OUT/${target}_fuzzer"
    flags=(-sanitize=fuzzer,address -parse-as-library -O -g -module-name "Fuzz_$target")
    extra=()
    case "$target" in
        png) flags+=(-D FUZZ_PNG -I "$OUT/module"); extra=("$OUT"/obj/*.o -lpng16 -ljpeg) ;;
        jpeg) flags+=(-D FUZZ_JPEG -I "$OUT/module"); extra=("$OUT"/obj/*.o -lpng16 -ljpeg) ;;
        npz) flags+=(-I "$ZIPFOUNDATION/CZLib" -Xcc -D_GNU_SOURCE=1); extra=(-lz) ;;
        sentencepiece) flags+=(-I "$OUT/lib"); extra=(-L "$OUT/lib" -lSwiftProtobuf) ;;
    esac
    swiftc "${flags[@]}" "$src"/*.swift "${extra[@]}" -o "$binary" 2> "$OUT/${target}_build.log" \
        || { cat "$OUT/${target}_build.log"; exit 1; }   # (ld.gold warns about local asan symbols; harmless)
    corpus="$OUT/corpus_$target"
    mkdir -p "$corpus"
    seed "$target" "$corpus"
    echo "== $target: fuzzing for $SECONDS_PER_TARGET s"
    if ! LSAN_OPTIONS="suppressions=$PWD/$OUT/lsan.supp" "$binary" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$OUT/${target}_" 2> "$OUT/${target}.log"; then
        echo "!! $target fuzzer found a problem: see $OUT/${target}.log"
        status=1
    fi
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$OUT/${target}.log" || true
    tail -n 2 "$OUT/${target}.log"
done
exit $status
