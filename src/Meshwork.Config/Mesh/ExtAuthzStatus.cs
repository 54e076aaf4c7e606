using System.Globalization;

namespace Meshwork.Config.Mesh;

/// <summary>
/// The HTTP statuses an ext_authz provider's <c>statusOnError</c> may name: those of Envoy's
/// <c>envoy.type.v3.StatusCode</c> enum, which Istio checks the value against.
/// </summary>
public static class ExtAuthzStatus
{
    private static readonly HashSet<int> Supported =
    [
        100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421,
        422, 423, 424, 426, 428, 429, 431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
    ];

    /// <summary>The status code a <c>statusOnError</c> value names, or null when it is not a supported code.</summary>
    public static int? Parse(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && Supported.Contains(code) ? code : null;

    public static bool IsSupported(string value) => Parse(value) != null;
}
