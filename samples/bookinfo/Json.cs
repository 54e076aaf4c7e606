using System.Text.Json.Nodes;

namespace Meshwork.Samples.Bookinfo;

/// <summary>JSON answers with the content type Istio's services send.</summary>
internal static class Json
{
    public static IResult Ok(JsonNode body) => Status(200, body);

    public static IResult Status(int status, JsonNode body) => Results.Text(body.ToJsonString(), "application/json", statusCode: status);
}
