package io.kubelora.trainer.storage;

/** {@code s3://bucket/key}: for folders the key is a prefix, kept without its trailing slash. */
record S3Location(String bucket, String key) {

    static final String SCHEME = "s3://";

    static S3Location parse(String uri) {
        if (!uri.startsWith(SCHEME)) {
            throw new StorageException("'" + uri + "' is not an s3:// URI");
        }
        String rest = uri.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        if (bucket.isEmpty()) {
            throw new StorageException("'" + uri + "' names no bucket: use s3://<bucket>/<prefix>");
        }
        while (key.endsWith("/")) {
            key = key.substring(0, key.length() - 1);
        }
        return new S3Location(bucket, key);
    }

    /** The prefix that every key inside this folder starts with ("" for a whole bucket). */
    String folderPrefix() {
        return key.isEmpty() ? "" : key + "/";
    }

    S3Location child(String relativePath) {
        return new S3Location(bucket, folderPrefix() + relativePath);
    }

    String uri() {
        return SCHEME + bucket + "/" + key;
    }

    @Override
    public String toString() {
        return uri();
    }
}
