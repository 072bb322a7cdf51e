"""Routes of the apps registry: the caller's apps and the administrator's CRUD."""

from __future__ import annotations

from fastapi import APIRouter, status

from rechat_gateway.apps.dependencies import AppServiceDep
from rechat_gateway.apps.schemas import AdminApp, App, AppCreate, AppTestResult, AppUpdate
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser, AdminUser

router = APIRouter(tags=["apps"], responses=error_responses(401, 403, 404))


@router.get("/api/apps", response_model=list[App])
async def list_apps(principal: ActiveUser, service: AppServiceDep) -> list[App]:
    """The enabled apps visible to the caller, described by Dify's parameters."""
    return await service.list_visible(principal)


@router.get("/api/admin/apps", response_model=list[AdminApp])
async def admin_list_apps(_: AdminUser, service: AppServiceDep) -> list[AdminApp]:
    """Every registered app (keys shown only as a hint)."""
    return [AdminApp.model_validate(app) for app in await service.list_all()]


@router.post("/api/admin/apps", response_model=AdminApp, status_code=status.HTTP_201_CREATED)
async def admin_create_app(_: AdminUser, body: AppCreate, service: AppServiceDep) -> AdminApp:
    """Register a Dify app; its API key is encrypted at rest."""
    return AdminApp.model_validate(await service.create(body))


@router.get("/api/admin/apps/{app_id}", response_model=AdminApp)
async def admin_get_app(_: AdminUser, app_id: str, service: AppServiceDep) -> AdminApp:
    """One registered app."""
    return AdminApp.model_validate(await service.get(app_id))


@router.patch("/api/admin/apps/{app_id}", response_model=AdminApp)
async def admin_update_app(
    _: AdminUser, app_id: str, body: AppUpdate, service: AppServiceDep
) -> AdminApp:
    """Change an app; a new `api_key` replaces the stored one."""
    return AdminApp.model_validate(await service.update(app_id, body))


@router.delete("/api/admin/apps/{app_id}", status_code=status.HTTP_204_NO_CONTENT)
async def admin_delete_app(_: AdminUser, app_id: str, service: AppServiceDep) -> None:
    """Remove an app from the registry."""
    await service.delete(app_id)


@router.post("/api/admin/apps/{app_id}/test", response_model=AppTestResult)
async def admin_test_app(_: AdminUser, app_id: str, service: AppServiceDep) -> AppTestResult:
    """Check the stored key against Dify (`/info` and `/parameters`)."""
    return await service.check(app_id)
