package io.kubelora.trainer.storage;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Turns SDK failures into messages that say which object failed and what to check. */
final class S3Errors {

    private S3Errors() {
    }

    static StorageException translate(SdkException e, String action, String uri, S3Settings settings) {
        if (e instanceof S3Exception s3) {
            String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            String detail = code == null ? "HTTP " + s3.statusCode() : code;
            switch (s3.statusCode()) {
                case 401, 403 -> {
                    String hint = "SignatureDoesNotMatch".equals(code)
                            ? "the secret key does not match the access key"
                            : "InvalidAccessKeyId".equals(code) ? "the access key is unknown to this endpoint"
                            : code == null ? "wrong access key or secret, or no permission on this bucket or key"
                            : "the credentials lack permission on this bucket or key";
                    return new StorageException("access denied to " + uri + " (" + detail + ": " + hint
                            + "): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (or AWS_PROFILE"
                            + " / the pod's role) and the bucket policy", e);
                }
                case 404 -> {
                    if ("NoSuchBucket".equals(code)) {
                        return new StorageException("bucket '" + S3Location.parse(uri).bucket()
                                + "' does not exist at " + settings.describeEndpoint() + " (" + uri + ")", e);
                    }
                    if ("NoSuchUpload".equals(code)) {
                        return new StorageException("the multipart upload of " + uri + " was aborted on the"
                                + " server side", e);
                    }
                    return new StorageException(uri + " not found (no such key" + (code == null ? "" : ", " + code)
                            + ")", e);
                }
                case 301 -> {
                    return new StorageException("bucket of " + uri + " is in another region: set AWS_REGION to the"
                            + " bucket's region", e);
                }
                case 412 -> {
                    return new StorageException(uri + " changed while it was being read; try again", e);
                }
                default -> {
                    return new StorageException(action + " " + uri + " failed: HTTP " + s3.statusCode() + " " + detail
                            + (s3.awsErrorDetails() == null ? "" : ": " + s3.awsErrorDetails().errorMessage()), e);
                }
            }
        }
        if (e instanceof SdkClientException) {
            return new StorageException(action + " " + uri + " failed: cannot reach or talk to "
                    + settings.describeEndpoint() + ": " + e.getMessage()
                    + " (set AWS_ENDPOINT_URL for MinIO/Ceph, AWS_REGION for AWS)", e);
        }
        return new StorageException(action + " " + uri + " failed: " + e.getMessage(), e);
    }
}
