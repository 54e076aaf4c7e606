namespace Meshwork.Proxy.Mixer;

/// <summary>gRPC status codes as Istio's Mixer filter turned them into local replies: the code's name in the body, and its HTTP status (istio/proxy utils HttpCode).</summary>
internal static class GrpcStatusNames
{
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    private static readonly int[] Http = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

    public static string Name(int code) => code >= 0 && code < Names.Length ? Names[code] : "UNKNOWN";

    public static int HttpStatus(int code) => code >= 0 && code < Http.Length ? Http[code] : StatusCodes.Status500InternalServerError;
}
