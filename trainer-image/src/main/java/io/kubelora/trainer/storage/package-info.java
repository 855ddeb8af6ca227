/**
 * Storage for the trainer: where models and datasets come from and where results go.
 *
 * <h2>URIs</h2>
 * <ul>
 *   <li>{@code s3://bucket/prefix}: AWS S3 or any S3-compatible store (MinIO, Ceph, s3proxy), through the AWS
 *       SDK v2 with the JDK's HTTP transport. Settings come from the standard AWS variables: AWS_ENDPOINT_URL_S3
 *       / AWS_ENDPOINT_URL (an endpoint override also switches to path-style access; KUBELORA_S3_PATH_STYLE
 *       decides explicitly), AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+
 *       AWS_SESSION_TOKEN), otherwise AWS_PROFILE, web identity (IRSA) and instance roles through the SDK's
 *       default chain. Files above KUBELORA_S3_PART_SIZE (64MiB) go up as multipart uploads and come down as
 *       parallel ranged GETs, KUBELORA_S3_CONCURRENCY (8) at a time; the SDK retries throttling, 5xx and
 *       connection errors with exponential backoff.</li>
 *   <li>{@code hf://org/repo[@revision]} (a model) and {@code hf://datasets/org/repo[@revision]/path} (a file)
 *       from the Hugging Face Hub at HF_ENDPOINT with the token in HF_TOKEN. Only what a trainer needs is
 *       downloaded (config.json, generation_config.json, tokenizer*.json, special_tokens_map.json,
 *       *.safetensors and their index), pinned to one commit, resumed with Range requests from
 *       {@code .incomplete} files, and checked against the size and SHA-256 (git blob id for small files) the
 *       hub reports.</li>
 *   <li>{@code pvc://claim/path}: {@code $KUBELORA_PVC_ROOT/claim/path} (default root /mnt/pvc), where the
 *       operator mounts the claim.</li>
 *   <li>{@code file:///abs/path} and plain paths; relative ones are resolved against the base folder given to
 *       {@link io.kubelora.trainer.storage.Storage#fromEnvironment}.</li>
 * </ul>
 * Remote models and datasets are cached under KUBELORA_MODEL_CACHE_DIR, else KUBELORA_CACHE_DIR (default
 * ~/.cache/kubelora), in {@code hf/} and {@code s3/}. Several runs may share that cache (a volume mounted into every training pod): each item is
 * downloaded under a {@link io.kubelora.trainer.storage.CacheLock}, so one run downloads and the others wait and
 * reuse its files; a file appears under its final name only complete (downloaded to {@code .incomplete}, then
 * renamed).
 *
 * <h2>Atomic delivery</h2>
 * A {@link io.kubelora.trainer.storage.Publication} writes a folder such that a reader never takes a
 * half-written folder for a finished one:
 * <ul>
 *   <li>Local and pvc:// folders: files go into a hidden {@code <out>/.<name>.partial-<random>/}; commit writes
 *       {@code _KUBELORA_COMPLETE.json} into it and renames it onto {@code <out>/<name>} with an atomic move.
 *       Because rename cannot replace a non-empty folder, an older {@code <name>} is first renamed aside to
 *       {@code .<name>.old-<random>} and removed after the swap: readers see the old folder, then for an
 *       instant none, then the new one, never a mix.</li>
 *   <li>s3://: object stores cannot rename a prefix, so commit order is the contract.
 *       {@code <prefix>/<name>/_KUBELORA_IN_PROGRESS.json} is written first (and an older
 *       {@code _KUBELORA_COMPLETE.json} deleted), then every file, then keys left from an older version are
 *       removed, then {@code _KUBELORA_COMPLETE.json} (the manifest: every file with its size and SHA-256) is
 *       written LAST, and finally the in-progress marker is deleted.</li>
 *   <li>Readers ({@link io.kubelora.trainer.storage.Storage#fetchDirectory}) of an s3:// folder with a manifest
 *       download exactly the listed files and check sizes and SHA-256; a folder with the in-progress marker but
 *       no manifest is refused as incomplete; a folder with neither (a third-party model) is read as it is.</li>
 * </ul>
 * Plain {@code uploadDirectory} copies (e.g. logs) make no such promise.
 */
package io.kubelora.trainer.storage;
