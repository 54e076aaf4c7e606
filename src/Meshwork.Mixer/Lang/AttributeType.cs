namespace Meshwork.Mixer.Lang;

/// <summary>
/// istio.policy.v1beta1.ValueType: the type an attribute or expression has. Names and numbers are Istio's,
/// so an attribute manifest's <c>valueType</c> maps onto it directly.
/// </summary>
public enum AttributeType
{
    Unspecified = 0,
    String = 1,
    Int64 = 2,
    Double = 3,
    Bool = 4,
    Timestamp = 5,
    IpAddress = 6,
    EmailAddress = 7,
    Uri = 8,
    DnsName = 9,
    Duration = 10,
    StringMap = 11,
}

/// <summary>Manifest spellings of <see cref="AttributeType"/>.</summary>
public static class AttributeTypes
{
    public static bool TryParse(string text, out AttributeType type)
    {
        type = text switch
        {
            "STRING" => AttributeType.String,
            "INT64" => AttributeType.Int64,
            "DOUBLE" => AttributeType.Double,
            "BOOL" => AttributeType.Bool,
            "TIMESTAMP" => AttributeType.Timestamp,
            "IP_ADDRESS" => AttributeType.IpAddress,
            "EMAIL_ADDRESS" => AttributeType.EmailAddress,
            "URI" => AttributeType.Uri,
            "DNS_NAME" => AttributeType.DnsName,
            "DURATION" => AttributeType.Duration,
            "STRING_MAP" => AttributeType.StringMap,
            _ => AttributeType.Unspecified,
        };
        return type != AttributeType.Unspecified;
    }

    public static string Name(AttributeType type) => type switch
    {
        AttributeType.String => "STRING",
        AttributeType.Int64 => "INT64",
        AttributeType.Double => "DOUBLE",
        AttributeType.Bool => "BOOL",
        AttributeType.Timestamp => "TIMESTAMP",
        AttributeType.IpAddress => "IP_ADDRESS",
        AttributeType.EmailAddress => "EMAIL_ADDRESS",
        AttributeType.Uri => "URI",
        AttributeType.DnsName => "DNS_NAME",
        AttributeType.Duration => "DURATION",
        AttributeType.StringMap => "STRING_MAP",
        _ => "VALUE_TYPE_UNSPECIFIED",
    };
}
