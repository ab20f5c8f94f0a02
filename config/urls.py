from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from accounts import views as accounts_views
from audit import api as audit_api
from audit import views as audit_views
from evaluation import api as evaluation_api
from evaluation import views as evaluation_views
from hotspots import api as hotspots_api
from hotspots import api_runs
from hotspots import views as hotspots_views
from patrols import api as patrols_api
from patrols import views as patrols_views
from reports import api as reports_api
from reports import views as reports_views
from streets import views as streets_views
from tasking import api as tasking_api
from tasking import views as tasking_views

api_v1 = [
    path("auth/token/", accounts_api.TokenView.as_view(), name="api-token"),
    path("auth/tokens/", accounts_api.MyTokenListView.as_view(), name="api-my-tokens"),
    path("auth/tokens/<str:key>/", accounts_api.MyTokenView.as_view(), name="api-my-token"),
    path("users/<int:pk>/tokens/", accounts_api.UserTokensView.as_view(), name="api-user-tokens"),
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("areas/", accounts_api.AreaListView.as_view(), name="api-areas"),
    path("teams/", accounts_api.TeamListView.as_view(), name="api-teams"),
    path("offence-types/", hotspots_api.OffenceTypeListView.as_view(), name="api-offence-types"),
    path("offence-types/<int:pk>/", hotspots_api.OffenceTypeDetailView.as_view(),
         name="api-offence-type"),
    path("crimes/", hotspots_api.CrimeListView.as_view(), name="api-crimes"),
    path("crimes/density/", hotspots_api.CrimeDensityView.as_view(), name="api-crime-density"),
    path("imports/", hotspots_api.ImportJobListView.as_view(), name="api-imports"),
    path("imports/<int:pk>/", hotspots_api.ImportJobDetailView.as_view(), name="api-import"),
    path("hotspots/", api_runs.HotspotListView.as_view(), name="api-hotspots"),
    path("hotspots/<int:pk>/review/", api_runs.HotspotReviewView.as_view(),
         name="api-hotspot-review"),
    path("hotspots/<int:pk>/name/", api_runs.HotspotRenameView.as_view(),
         name="api-hotspot-name"),
    path("hotspot-runs/", api_runs.RunListView.as_view(), name="api-runs"),
    path("exclusion-areas/", api_runs.ExclusionListView.as_view(), name="api-exclusions"),
    path("exclusion-areas/<int:pk>/", api_runs.ExclusionDetailView.as_view(),
         name="api-exclusion"),
    path("hotspot-runs/<int:pk>/", api_runs.RunDetailView.as_view(), name="api-run"),
    path("hotspot-runs/<int:pk>/cells.csv", api_runs.RunCellsCsvView.as_view(),
         name="api-run-cells"),
    path("hotspot-runs/<int:pk>/cells.gpkg", api_runs.RunCellsGpkgView.as_view(),
         name="api-run-cells-gpkg"),
    path("hotspot-runs/<int:pk>/cells.geojson", api_runs.RunCellsGeoJsonView.as_view(),
         name="api-run-cells-geojson"),
    path("shift-patterns/", tasking_api.PatternListView.as_view(), name="api-shift-patterns"),
    path("shifts/", tasking_api.ShiftListView.as_view(), name="api-shifts"),
    path("shifts/<int:pk>/capacity/", tasking_api.ShiftCapacityView.as_view(),
         name="api-shift-capacity"),
    path("plans/", tasking_api.PlanListView.as_view(), name="api-plans"),
    path("plans/<int:pk>/", tasking_api.PlanDetailView.as_view(), name="api-plan"),
    path("plans/<int:pk>/publish/", tasking_api.PlanPublishView.as_view(),
         name="api-plan-publish"),
    path("plans/<int:pk>/map/", tasking_api.PlanMapView.as_view(), name="api-plan-map"),
    path("plans/<int:pk>/tasks/", tasking_api.PlanTaskListView.as_view(), name="api-plan-tasks"),
    path("tasks/<int:pk>/", tasking_api.TaskDetailView.as_view(), name="api-task"),
    path("my-tasks/", tasking_api.MyTaskListView.as_view(), name="api-my-tasks"),
    path("hotspots/<int:pk>/problem-solving/", tasking_api.ProblemSolvingView.as_view(),
         name="api-problem-solving"),
    path("gps/pings/", patrols_api.PingBatchView.as_view(), name="api-pings"),
    path("devices/", patrols_api.DeviceListView.as_view(), name="api-devices"),
    path("devices/<int:pk>/", patrols_api.DeviceDetailView.as_view(), name="api-device"),
    path("devices/<int:pk>/track/", patrols_api.TrackView.as_view(), name="api-device-track"),
    path("visits/", patrols_api.VisitListView.as_view(), name="api-visits"),
    path("dosage/", patrols_api.DosageView.as_view(), name="api-dosage"),
    path("compliance/", patrols_api.ComplianceView.as_view(), name="api-compliance"),
    path("live/", patrols_api.LiveView.as_view(), name="api-live"),
    path("trials/", evaluation_api.TrialListView.as_view(), name="api-trials"),
    path("trials/<int:pk>/", evaluation_api.TrialDetailView.as_view(), name="api-trial"),
    path("trials/<int:pk>/start/", evaluation_api.TrialStartView.as_view(),
         name="api-trial-start"),
    path("trials/<int:pk>/outcome/", evaluation_api.TrialOutcomeView.as_view(),
         name="api-trial-outcome"),
    path("audit/", audit_api.AuditListView.as_view(), name="api-audit"),
    path("exports/", reports_api.ExportListView.as_view(), name="api-exports"),
    path("exports/<int:pk>/", reports_api.ExportDetailView.as_view(), name="api-export"),
    path("exports/<int:pk>/download/", reports_api.ExportDownloadView.as_view(),
         name="api-export-download"),
]

urlpatterns = [
    path("", hotspots_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/second-factor/", accounts_views.second_factor, name="second-factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("imports/", hotspots_views.import_list, name="import-list"),
    path("imports/<int:pk>/", hotspots_views.import_detail, name="import-detail"),
    path("offence-types/", hotspots_views.offence_types, name="offence-types"),
    path("hotspots/", hotspots_views.hotspot_map, name="hotspot-map"),
    path("hotspots/run/", hotspots_views.hotspot_run_now, name="hotspot-run-now"),
    path("hotspots/exclusions/<int:pk>/", hotspots_views.exclusion_change,
         name="exclusion-change"),
    path("tasking/", tasking_views.plan_list, name="plan-list"),
    path("tasking/plans/<int:pk>/", tasking_views.plan_detail, name="plan-detail"),
    path("tasking/shifts/", tasking_views.shifts, name="shifts"),
    path("tasking/plans/<int:pk>/shifts/<int:shift_id>/briefing/", tasking_views.briefing,
         name="briefing"),
    path("tasking/plans/<int:pk>/shifts/<int:shift_id>/briefing.pdf",
         tasking_views.briefing_pdf, name="briefing-pdf"),
    path("hotspots/<int:pk>/problem-solving/", tasking_views.problem_solving,
         name="problem-solving"),
    path("my-visits/", tasking_views.my_visits, name="my-visits"),
    path("patrol/", patrols_views.patrol, name="patrol"),
    path("patrol/sw.js", patrols_views.service_worker, name="patrol-sw"),
    path("patrol/manifest.webmanifest", patrols_views.manifest, name="patrol-manifest"),
    path("dosage/", patrols_views.dosage_page, name="dosage"),
    path("live/", patrols_views.live_page, name="live"),
    path("audit/", audit_views.audit_page, name="audit"),
    path("tiles/streets/<int:z>/<int:x>/<int:y>.mvt", streets_views.tile, name="street-tile"),
    path("trials/", evaluation_views.trial_list, name="trial-list"),
    path("trials/<int:pk>/", evaluation_views.trial_detail, name="trial-detail"),
    path("reports/", reports_views.reports_home, name="reports"),
    path("reports/exports/<int:pk>/download/", reports_views.export_download,
         name="export-download"),
    path("reports/funding-return/", reports_views.funding_return, name="funding-return"),
    path("reports/neighbourhoods/", reports_views.neighbourhoods, name="neighbourhoods"),
    path("reports/dashboard/", reports_views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
         name="api-docs"),
]
