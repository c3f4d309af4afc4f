#!/usr/bin/env bash
# Writes the seed corpora of fuzz/corpus/ (fuzz/README.md): small valid files of every format bnas reads,
# made by bnas itself where bnas writes the format (tiny trainings and a tiny search on the synthetic data
# set), cut from the Fashion-MNIST files of `make setup` for IDX, and built record by record for CIFAR-10.
# Usage: fuzz/make-corpus.sh [path of a release bnas binary]; it replaces fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
bnas=$(realpath "${1:-.build/release/bnas}")
fashion=/usr/share/datasets/fashion-mnist
corpus=$PWD/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf "$corpus"
mkdir -p "$corpus"/{idx,idx-gzip,cifar10,genotype-json,genotype-darts,checkpoint-training,checkpoint-search,model,theme,events}

# The first `bytes` bytes of a gzip file's contents (gzip stops on the closed pipe: not an error here).
head_of() { { gzip -dc "$1" || true; } | head -c "$2"; }
# A big-endian UInt32.
word() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }

# IDX: two Fashion-MNIST training images, three labels, and a 4x4 image file; each also gzip-compressed.
head_of "$fashion/train-images-idx3-ubyte.gz" $((16 + 2 * 784)) > "$work/images"
head_of "$fashion/train-labels-idx1-ubyte.gz" $((8 + 3)) > "$work/labels"
{ word 2051; word 2; word 28; word 28; tail -c +17 "$work/images"; } > "$corpus/idx/train-images-2"
{ word 2049; word 3; tail -c +9 "$work/labels"; } > "$corpus/idx/train-labels-3"
{ word 2051; word 1; word 4; word 4; tail -c +17 "$work/images" | tail -c 16; } > "$corpus/idx/images-4x4"
for file in "$corpus"/idx/*; do gzip -9nc "$file" > "$corpus/idx-gzip/$(basename "$file").gz"; done

# CIFAR-10: records of a label byte and 3072 pixel bytes (Fashion-MNIST pixels stand in for photos).
head_of "$fashion/t10k-images-idx3-ubyte.gz" $((16 + 8 * 784)) | tail -c +17 > "$work/pixels"
{ printf '\x03'; head -c 3072 "$work/pixels"; } > "$corpus/cifar10/one-record.bin"
{ printf '\x09'; head -c 3072 "$work/pixels"; printf '\x00'; tail -c 3072 "$work/pixels"; } > "$corpus/cifar10/two-records.bin"
gzip -9nc "$corpus/cifar10/one-record.bin" > "$corpus/cifar10/one-record.bin.gz"

# Trainings and a search as small as bnas builds them (3 cells, C = 2), in a scratch runs/ folder.
cd "$work"
cat > sparse.json <<'EOF'
{"normal": [{"op": "sep_conv_3x3", "input": 0}, {"op": "skip_connect", "input": 1}, {"op": "max_pool_3x3", "input": 0},
            {"op": "skip_connect", "input": 2}, {"op": "avg_pool_3x3", "input": 1}, {"op": "skip_connect", "input": 3},
            {"op": "dil_conv_5x5", "input": 4}, {"op": "skip_connect", "input": 0}],
 "normal_concat": [2, 3, 4, 5],
 "reduce": [{"op": "max_pool_3x3", "input": 0}, {"op": "max_pool_3x3", "input": 1}, {"op": "skip_connect", "input": 2},
            {"op": "max_pool_3x3", "input": 1}, {"op": "skip_connect", "input": 2}, {"op": "avg_pool_3x3", "input": 0},
            {"op": "skip_connect", "input": 3}, {"op": "dil_conv_3x3", "input": 4}],
 "reduce_concat": [3, 5]}
EOF
tiny=(--dataset synthetic --layers 3 --channels 2 --batch-size 8 --train-size 16 --test-size 8)
"$bnas" train --genotype darts-v2 "${tiny[@]}" --epochs 1 --binarize xnor --run xnor > /dev/null
"$bnas" train --genotype sparse.json "${tiny[@]}" --epochs 1 --binarize none --optimizer adam --run float > /dev/null
"$bnas" train --genotype sparse.json "${tiny[@]}" --epochs 2 --binarize pcnn --activations real --drop-path 0.2 --run pcnn > /dev/null
# The search's settings are the ones the checkpoint-search target restores into (tinySearch in FuzzTarget.swift).
"$bnas" search --headless --dataset synthetic --layers 3 --channels 2 --partial-k 2 --epochs 3 --warmup-epochs 1 \
  --reduction-interval 1 --sampling-rounds 1 --scoring-batches 1 --batch-size 4 --train-size 8 --run search > /dev/null

for run in xnor float pcnn; do
  cp "runs/$run/model.bnn" "$corpus/model/$run.bnn"
  cp "runs/$run/checkpoint" "$corpus/checkpoint-training/$run"
done
cp runs/xnor/checkpoint.previous "$corpus/checkpoint-training/xnor-start"
cp runs/search/checkpoint "$corpus/checkpoint-search/search"

# Genotypes: the search's result and the sparse cell as JSON and DARTS text, a published one as a whole
# genotypes.py, and DARTS text with comments, a list concat and two names.
cp runs/search/genotype.json "$corpus/genotype-json/search.json"
cp sparse.json "$corpus/genotype-json/sparse.json"
"$bnas" export runs/search --format darts > "$corpus/genotype-darts/search.py"
"$bnas" export sparse.json --format darts --name SPARSE > "$corpus/genotype-darts/sparse.py"
"$bnas" export sparse.json --format json > "$corpus/genotype-json/sparse-exported.json"
cat > "$corpus/genotype-darts/two-names.py" <<'EOF'
# two genotypes; pick one with PATH:NAME
A = Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1),
                     ('skip_connect', 0), ('dil_conv_3x3', 2), ('max_pool_3x3', 0), ('skip_connect', 2)],
             normal_concat=[2, 3, 4, 5],  # a list, not range
             reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
                     ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("avg_pool_3x3", 0),],
             reduce_concat=range(2, 6),)
BNAS = Genotype(reduce_concat=range(4, 6), normal_concat=range(2, 6), \
    reduce=[('avg_pool_3x3', 0), ('sep_conv_5x5', 1), ('avg_pool_3x3', 0), ('sep_conv_3x3', 1),
            ('max_pool_3x3', 2), ('skip_connect', 3), ('skip_connect', 1), ('skip_connect', 0)],
    normal=[('sep_conv_5x5', 0), ('avg_pool_3x3', 1), ('avg_pool_3x3', 0), ('sep_conv_5x5', 2),
            ('avg_pool_3x3', 2), ('avg_pool_3x3', 3), ('sep_conv_5x5', 2), ('sep_conv_5x5', 3)])
EOF

# events.jsonl: runs of lines of the search's log, each starting with its run_started line.
events=runs/search/events.jsonl
lines_of() { grep -m "$2" "\"type\":\"$1\"" "$events"; }
{ head -n 1 "$events"; lines_of checkpoint 2; lines_of step 3; lines_of kernels 1; lines_of epoch 1; } > "$corpus/events/start.jsonl"
{ head -n 1 "$events"; lines_of alpha 1; } > "$corpus/events/alpha.jsonl"
{ head -n 1 "$events"; lines_of reduction 1; lines_of epoch 2 | tail -n 1; } > "$corpus/events/reduction.jsonl"
{ head -n 1 "$events"; lines_of genotype 1; lines_of finished 1; } > "$corpus/events/finished.jsonl"
# The vetoes of the dashboard tests' recorded run (a live search only vetoes on a key press), one
# line left unterminated as a killed search leaves it.
cd - > /dev/null
{ head -n 1 "$work/$events"; grep '"type":"veto"' Tests/DashboardTests/Fixtures/sample-run/events.jsonl; \
  grep -m 1 '"type":"step"' "$work/$events" | head -c 80; } > "$corpus/events/vetoes.jsonl"

cp themes/*.theme "$corpus/theme/"
du -b "$corpus"/* | sort -k 2
