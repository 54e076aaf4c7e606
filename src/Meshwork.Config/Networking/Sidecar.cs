namespace Meshwork.Config.Networking;

public sealed record Sidecar
{
}
