namespace Meshwork.Config.Security;

public sealed record AuthorizationPolicy
{
}
