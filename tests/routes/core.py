"""Routes of the foundation: public pages, auth, the role areas, the basic API."""
from . import ADM, AUD, ORG, VOL, api_token, everyone, only, staff_read, staff_write

ROUTES = {
    "static": ("GET", "/static/css/app.css", everyone(200)),
    "public.index": ("GET", "/", everyone(200)),
    "public.deployment": ("GET", "/deployments/{slug}", everyone(200)),
    "public.healthz": ("GET", "/healthz", everyone(200)),
    "auth.login": ("GET", "/login", everyone(200)),
    "auth.register": ("GET", "/register", everyone(200)),
    "auth.logout": ("POST", "/logout", everyone(302)),
    "auth.forgot_password": ("GET", "/forgot", everyone(200)),
    # A made-up token: everyone gets the same "this link cannot be used" page.
    "auth.reset_password": ("GET", "/reset/not-a-token", everyone(400)),
    "auth.accept_invitation": ("GET", "/invitation/not-a-token", everyone(400)),
    "auth.confirm_email": ("GET", "/confirm/not-a-token", everyone(400)),
    "volunteer.home": ("GET", "/me/", only(VOL)),
    "organiser.dashboard": ("GET", "/organiser/", staff_read()),
    # Pages that are one form: a read-only auditor gets 403 instead of a form that fails.
    "organiser.new_deployment": ("GET", "/organiser/deployments/new", staff_write(ok=200)),
    "organiser.states": ("GET", "/organiser/deployments/{slug}/states", staff_write(ok=200)),
    "organiser.deployment": ("GET", "/organiser/deployments/{slug}", staff_read()),
    "organiser.set_capacity": ("POST", "/organiser/deployments/{slug}/placements/NC",
                               staff_write()),
    "auditor.dashboard": ("GET", "/audit/", only(AUD, ADM)),
    "admin.users": ("GET", "/admin/users", only(ADM)),
    # Without "confirmed" the change is asked about first (200), and made only then.
    "admin.change_role": ("POST", "/admin/users/{user_id}/role", only(ADM, ok=200)),
    "admin.invite": ("POST", "/admin/users/{user_id}/invite", only(ADM, ok=302)),
    "admin.new_user": ("GET", "/admin/users/new", only(ADM)),
    "admin.confirm_disable": ("GET", "/admin/users/{user_id}/disable", only(ADM)),
    "admin.enable": ("POST", "/admin/users/{user_id}/enable", only(ADM, ok=302)),
    "admin.disable": ("POST", "/admin/users/{user_id}/disable", only(ADM, ok=302)),
    "admin.deployment_staff_index": ("GET", "/admin/deployments", only(ADM)),
    "admin.deployment_staff": ("GET", "/admin/deployments/{slug}/staff", only(ADM)),
    # the matrix's user is not on the staff: the admin is told so, back on the page
    "admin.remove_staff": ("POST", "/admin/deployments/{slug}/staff/{user_id}/remove",
                           only(ADM, ok=302)),
    # everyone's own account page: their sessions and tokens
    "account.index": ("GET", "/account/", only(VOL, ORG, AUD, ADM)),
    # the matrix posts no name: the form comes back with its error
    "account.new_token": ("POST", "/account/tokens", only(VOL, ORG, AUD, ADM, ok=422)),
    # someone else's (no such) token: not found, never a change
    "account.revoke_token": ("POST", "/account/tokens/999999/revoke",
                             only(VOL, ORG, AUD, ADM, ok=404)),
    "account.sign_out_everywhere": ("POST", "/account/sign-out-everywhere",
                                    only(VOL, ORG, AUD, ADM, ok=302)),
    "api.me": ("GET", "/api/v1/me", api_token()),
    "api.deployment": ("GET", "/api/v1/deployments/{slug}", everyone(200)),
}


